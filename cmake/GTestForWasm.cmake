# GoogleTest for Emscripten, built from Debian's sources in /usr/src/googletest (no threads in wasm).
set(_gtest_src /usr/src/googletest/googletest)
add_library(gtest_wasm STATIC ${_gtest_src}/src/gtest-all.cc)
target_include_directories(gtest_wasm SYSTEM PUBLIC ${_gtest_src}/include PRIVATE ${_gtest_src})
target_compile_definitions(gtest_wasm PUBLIC GTEST_HAS_PTHREAD=0)
add_library(gtest_main_wasm STATIC ${_gtest_src}/src/gtest_main.cc)
target_link_libraries(gtest_main_wasm PUBLIC gtest_wasm)
add_library(GTest::gtest ALIAS gtest_wasm)
add_library(GTest::gtest_main ALIAS gtest_main_wasm)
