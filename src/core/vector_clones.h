// Hot loops compiled twice, for x86-64-v3 (AVX2 and FMA) and for the baseline the binary targets;
// the loader picks one per machine. A portable binary still runs those loops four doubles or eight
// floats wide where the CPU allows.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define SLIPWAY_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SLIPWAY_VECTOR_CLONES
#endif
