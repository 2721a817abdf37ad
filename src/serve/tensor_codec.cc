#include "serve/tensor_codec.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace slipway::serve {

namespace {

static_assert(
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "the binary tensor formats are little-endian; this code copies host words as they are");

// IEEE 754 binary16 <-> binary32, by bits (round to nearest even on the way down).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, nan
  } else if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400u));
      bits = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0);
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds past 65504: infinity
  if (abs < 0x38800000u) {                        // below the smallest normal half
    if (abs < 0x33000000u) return sign;
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // h = mantissa × 2^(e+1)
    std::uint32_t h = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) ++h;
    return sign | static_cast<std::uint16_t>(h);
  }
  std::uint32_t h = ((abs >> 23) - 112) << 10 | ((abs >> 13) & 0x3ffu);
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) ++h;
  return sign | static_cast<std::uint16_t>(h);
}

template <typename T>
void append_as(const std::vector<double>& numbers, std::string* out) {
  const size_t at = out->size();
  out->resize(at + numbers.size() * sizeof(T));
  char* p = out->data() + at;
  for (double v : numbers) {
    const T x = static_cast<T>(v);
    std::memcpy(p, &x, sizeof(T));
    p += sizeof(T);
  }
}

template <typename T>
void read_as(std::string_view raw, std::vector<double>* numbers) {
  numbers->resize(raw.size() / sizeof(T));
  for (size_t i = 0; i < numbers->size(); ++i) {
    T x;
    std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
    (*numbers)[i] = static_cast<double>(x);
  }
}

}  // namespace

size_t element_size(const std::string& dt) {
  if (dt == "BOOL" || dt == "UINT8" || dt == "INT8") return 1;
  if (dt == "UINT16" || dt == "INT16" || dt == "FP16") return 2;
  if (dt == "UINT32" || dt == "INT32" || dt == "FP32") return 4;
  if (dt == "UINT64" || dt == "INT64" || dt == "FP64") return 8;
  return 0;
}

void append_raw(const Tensor& t, std::string* out) {
  const std::string& dt = t.datatype;
  if (t.is_bytes()) {
    for (const auto& s : t.strings) {
      const std::uint32_t n = static_cast<std::uint32_t>(s.size());
      out->append(reinterpret_cast<const char*>(&n), 4);
      out->append(s);
    }
  } else if (dt == "BOOL" || dt == "UINT8") {
    append_as<std::uint8_t>(t.numbers, out);
  } else if (dt == "INT8") {
    append_as<std::int8_t>(t.numbers, out);
  } else if (dt == "UINT16") {
    append_as<std::uint16_t>(t.numbers, out);
  } else if (dt == "INT16") {
    append_as<std::int16_t>(t.numbers, out);
  } else if (dt == "UINT32") {
    append_as<std::uint32_t>(t.numbers, out);
  } else if (dt == "INT32") {
    append_as<std::int32_t>(t.numbers, out);
  } else if (dt == "UINT64") {
    append_as<std::uint64_t>(t.numbers, out);
  } else if (dt == "INT64") {
    append_as<std::int64_t>(t.numbers, out);
  } else if (dt == "FP32") {
    append_as<float>(t.numbers, out);
  } else if (dt == "FP64") {
    append_as<double>(t.numbers, out);
  } else if (dt == "FP16") {
    for (double v : t.numbers) {
      const std::uint16_t h = float_to_half(static_cast<float>(v));
      out->append(reinterpret_cast<const char*>(&h), 2);
    }
  }
}

Result<Tensor> tensor_from_raw(const std::string& name, const std::string& datatype,
                               std::vector<std::int64_t> shape, std::string_view raw,
                               const std::string& where) {
  if (!known_datatype(datatype))
    return InvalidInput(where + ": unknown datatype '" + datatype + "'");
  std::int64_t count = 1;
  for (auto d : shape) {
    if (d < 0) return InvalidInput(where + ": shape dimensions cannot be negative");
    if (d > 0 && count > std::numeric_limits<std::int64_t>::max() / d)
      return InvalidInput(where + ": the shape holds too many elements");
    count *= d;
  }
  Tensor t;
  t.name = name;
  t.datatype = datatype;
  t.shape = std::move(shape);
  if (datatype == "BYTES") {
    size_t at = 0;
    while (at < raw.size()) {
      if (raw.size() - at < 4)
        return InvalidInput(where + ": BYTES data ends inside an element's 4-byte length");
      std::uint32_t n;
      std::memcpy(&n, raw.data() + at, 4);
      at += 4;
      if (raw.size() - at < n)
        return InvalidInput(where + ": a BYTES element says " + std::to_string(n) +
                            " bytes but only " + std::to_string(raw.size() - at) + " remain");
      t.strings.emplace_back(raw.substr(at, n));
      at += n;
    }
    if (static_cast<std::int64_t>(t.strings.size()) != count)
      return InvalidInput(where + ": the binary data holds " + std::to_string(t.strings.size()) +
                          " BYTES elements; the shape says " + std::to_string(count));
    return t;
  }
  const size_t size = element_size(datatype);
  if (raw.size() != static_cast<size_t>(count) * size)
    return InvalidInput(where + ": the binary data is " + std::to_string(raw.size()) + " bytes; " +
                        std::to_string(count) + " " + datatype + " elements take " +
                        std::to_string(static_cast<size_t>(count) * size));
  if (datatype == "BOOL") {
    for (char c : raw)
      if (c != 0 && c != 1) return InvalidInput(where + ": BOOL bytes must be 0 or 1");
    read_as<std::uint8_t>(raw, &t.numbers);
  } else if (datatype == "UINT8") {
    read_as<std::uint8_t>(raw, &t.numbers);
  } else if (datatype == "INT8") {
    read_as<std::int8_t>(raw, &t.numbers);
  } else if (datatype == "UINT16") {
    read_as<std::uint16_t>(raw, &t.numbers);
  } else if (datatype == "INT16") {
    read_as<std::int16_t>(raw, &t.numbers);
  } else if (datatype == "UINT32") {
    read_as<std::uint32_t>(raw, &t.numbers);
  } else if (datatype == "INT32") {
    read_as<std::int32_t>(raw, &t.numbers);
  } else if (datatype == "UINT64") {
    read_as<std::uint64_t>(raw, &t.numbers);
  } else if (datatype == "INT64") {
    read_as<std::int64_t>(raw, &t.numbers);
  } else if (datatype == "FP32") {
    read_as<float>(raw, &t.numbers);
  } else if (datatype == "FP64") {
    read_as<double>(raw, &t.numbers);
  } else if (datatype == "FP16") {
    t.numbers.resize(count);
    for (std::int64_t i = 0; i < count; ++i) {
      std::uint16_t h;
      std::memcpy(&h, raw.data() + i * 2, 2);
      t.numbers[i] = half_to_float(h);
    }
  }
  return t;
}

}  // namespace slipway::serve
