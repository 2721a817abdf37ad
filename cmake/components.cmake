# One static library per component, linked only along the edges the component declares.
#
# A component's headers are reachable only by the components that depend on it: each header is
# linked (a symlink) into an include folder of the component's own under the build tree, at the
# path the code includes it by ("store/store.h"), and only that folder is on the component's
# PUBLIC include path. No target sees src/ as a whole, so an include that runs against the graph
# fails to compile ("store/store.h: No such file or directory" in a component that does not
# depend on store). The graph is also written to ${CMAKE_BINARY_DIR}/architecture/components.txt,
# which scripts/check-layers.py holds every #include line against (direct edges only).

set(SLIPWAY_INCLUDE_ROOT ${CMAKE_BINARY_DIR}/include)
set(SLIPWAY_COMPONENTS_FILE ${CMAKE_BINARY_DIR}/architecture/components.txt)
file(WRITE ${SLIPWAY_COMPONENTS_FILE} "# component | its files | the components it depends on\n")

# The path a file is included by: src/store/store.h -> store/store.h; launcher/ and kernels/ sit at
# the top of the tree and keep their folder name.
function(_slipway_include_path file out)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${file})
  string(REGEX REPLACE "^src/" "" rel ${rel})
  set(${out} ${rel} PARENT_SCOPE)
endfunction()

# slipway_component(NAME
#   FILES <sources and headers, absolute or relative to the source root>...
#   DEPENDS <component names>...        (the edges of the graph)
#   LIBS <external targets>...)         (third-party libraries, not part of the graph)
# Makes target slipway_<NAME with / as _>, e.g. backends/slurm -> slipway_backends_slurm.
function(slipway_component name)
  cmake_parse_arguments(C "" "" "FILES;DEPENDS;LIBS" ${ARGN})
  string(REPLACE "/" "_" target "slipway_${name}")
  set(sources "")
  set(all_files "")
  set(link_dir ${SLIPWAY_INCLUDE_ROOT}/${target})
  file(REMOVE_RECURSE ${link_dir})
  foreach(f ${C_FILES})
    get_filename_component(abs ${f} ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
    file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${abs})
    list(APPEND all_files ${rel})
    if(abs MATCHES "\\.(h|cuh)$")
      _slipway_include_path(${abs} inc)
      get_filename_component(inc_dir ${link_dir}/${inc} DIRECTORY)
      file(MAKE_DIRECTORY ${inc_dir})
      file(CREATE_LINK ${abs} ${link_dir}/${inc} SYMBOLIC)
    else()
      list(APPEND sources ${abs})
    endif()
  endforeach()
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)  # headers only (templates)
    set(scope INTERFACE)
  endif()
  target_include_directories(${target} ${scope} ${link_dir})
  set(dep_targets "")
  foreach(d ${C_DEPENDS})
    string(REPLACE "/" "_" dt "slipway_${d}")
    if(NOT TARGET ${dt})
      message(FATAL_ERROR "component ${name} depends on ${d}, which is not declared above it")
    endif()
    list(APPEND dep_targets ${dt})
  endforeach()
  target_link_libraries(${target} ${scope} ${dep_targets} ${C_LIBS})
  string(REPLACE ";" "," files_csv "${all_files}")
  string(REPLACE ";" "," deps_csv "${C_DEPENDS}")
  file(APPEND ${SLIPWAY_COMPONENTS_FILE} "${name}|${files_csv}|${deps_csv}\n")
endfunction()

# The files of a folder (not its subfolders), minus those matching an exclusion regex.
function(slipway_files out dir)
  cmake_parse_arguments(F "" "EXCLUDE" "" ${ARGN})
  file(GLOB found CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.h ${CMAKE_SOURCE_DIR}/${dir}/*.cc
       ${CMAKE_SOURCE_DIR}/${dir}/*.cuh ${CMAKE_SOURCE_DIR}/${dir}/*.cu)
  if(F_EXCLUDE)
    list(FILTER found EXCLUDE REGEX "${F_EXCLUDE}")
  endif()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
