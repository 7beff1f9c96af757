# Flags live on INTERFACE targets, never in global CMAKE_CXX_FLAGS.
set(SSHRELAY_SANITIZERS "" CACHE STRING "Semicolon-separated sanitizers for native builds, e.g. address;undefined")

add_library(sshrelay_warnings INTERFACE)
target_compile_options(sshrelay_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                       -Wno-sign-conversion -Werror=return-type)

add_library(sshrelay_options INTERFACE)
if(SSHRELAY_SANITIZERS AND NOT EMSCRIPTEN)
  list(JOIN SSHRELAY_SANITIZERS "," _sanitizers)
  # -g1 (line tables): all a sanitizer's report needs, at about 20% less compile time than full -g
  # (measured on v4_session.cpp: 20.3 s instead of 25.7 s of CPU).
  # With UBSan, all its checks but four that cost more compile time than the rest of the sanitizers
  # together (docs/development.md, "Build time": 44% less CPU for a unity batch of the daemon) and that
  # ASan or the fuzz tree already cover: null (ASan reports the SEGV with its stack), alignment (x86
  # loads misaligned data; core's parsers, where it would matter, run under the fuzz tree's full UBSan),
  # pointer-overflow (ASan catches the out-of-bounds access it leads to) and vptr (ASan catches the
  # use-after-free that is its usual cause). Integer overflow, shifts, bounds, enum/bool loads,
  # unreachable and missing returns stay checked.
  set(_ubsan_skipped)
  if("undefined" IN_LIST SSHRELAY_SANITIZERS)
    set(_ubsan_skipped -fno-sanitize=null,alignment,pointer-overflow,vptr)
  endif()
  target_compile_options(sshrelay_options INTERFACE -fsanitize=${_sanitizers} ${_ubsan_skipped}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all -g1)
  target_link_options(sshrelay_options INTERFACE -fsanitize=${_sanitizers})
endif()

if(EMSCRIPTEN)
  # nlohmann_json is header-only; /usr/include must never be on the wasm include path (it drags glibc
  # headers into the Emscripten sysroot), so expose only the nlohmann folder through a build-tree symlink.
  set(_json_root "${CMAKE_BINARY_DIR}/wasm-include")
  file(MAKE_DIRECTORY "${_json_root}")
  if(NOT EXISTS "${_json_root}/nlohmann")
    file(CREATE_LINK /usr/include/nlohmann "${_json_root}/nlohmann" SYMBOLIC)
  endif()
  add_library(nlohmann_json INTERFACE)
  target_include_directories(nlohmann_json SYSTEM INTERFACE "${_json_root}")
  add_library(nlohmann_json::nlohmann_json ALIAS nlohmann_json)
else()
  find_package(nlohmann_json 3 REQUIRED)
endif()

# Unity builds (docs/development.md, "Build time"): the targets whose files all include Beast, Asio,
# OpenSSL or GoogleTest and instantiate the same templates compile BATCH files per compiler run, which
# then compiles those headers and instantiations once. OFF compiles every file alone (e.g. to see which
# file a compile error is in without the batch around it).
option(SSHRELAY_UNITY_BUILD "compile the Beast-heavy targets a few files per compiler run" ON)
function(sshrelay_unity_build batch)
  if(SSHRELAY_UNITY_BUILD)
    set_target_properties(${ARGN} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${batch})
  endif()
endfunction()
