# Locate Arrow C++ inside the pinned pyarrow wheel (headers + shared libraries).
# The wheel ships no CMake config, so imported targets are declared here.
# See Arrow's doc "Building Extensions against PyPI Wheels".

set(SHOAL_PYARROW_VERSION "26.0.1" CACHE STRING "Exact pyarrow version Shoal is built against")

execute_process(
  COMMAND "${Python_EXECUTABLE}" -c
          "import pyarrow as pa; print(pa.__version__); print(pa.get_include()); print(pa.get_library_dirs()[0])"
  OUTPUT_VARIABLE _pa_out
  RESULT_VARIABLE _pa_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "Shoal needs pyarrow==${SHOAL_PYARROW_VERSION} importable by ${Python_EXECUTABLE} "
                      "(pip install pyarrow==${SHOAL_PYARROW_VERSION})")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 PYARROW_VERSION)
list(GET _pa_lines 1 PYARROW_INCLUDE_DIR)
list(GET _pa_lines 2 PYARROW_LIB_DIR)
if(NOT PYARROW_VERSION STREQUAL SHOAL_PYARROW_VERSION)
  message(FATAL_ERROR "pyarrow ${PYARROW_VERSION} found, Shoal is pinned to ${SHOAL_PYARROW_VERSION}")
endif()

# libarrow.so.2600 for 26.0.x: SO version is major*100 + minor.
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _m "${PYARROW_VERSION}")
math(EXPR ARROW_SO_VERSION "${CMAKE_MATCH_1} * 100 + ${CMAKE_MATCH_2}")
message(STATUS "pyarrow ${PYARROW_VERSION}: ${PYARROW_LIB_DIR} (so ${ARROW_SO_VERSION})")

function(shoal_import_arrow_lib target file)
  set(_path "${PYARROW_LIB_DIR}/lib${file}.so.${ARROW_SO_VERSION}")
  if(NOT EXISTS "${_path}")
    message(FATAL_ERROR "missing ${_path} in the pyarrow wheel")
  endif()
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${_path}"
    IMPORTED_SONAME "lib${file}.so.${ARROW_SO_VERSION}"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_INCLUDE_DIR}")
  # Arrow headers need C++20 with this gcc; _GLIBCXX_USE_CXX11_ABI=1 matches the wheel.
endfunction()

shoal_import_arrow_lib(Arrow::arrow arrow)
shoal_import_arrow_lib(Arrow::compute arrow_compute)
shoal_import_arrow_lib(Arrow::acero arrow_acero)
shoal_import_arrow_lib(Arrow::dataset arrow_dataset)
shoal_import_arrow_lib(Arrow::parquet parquet)
