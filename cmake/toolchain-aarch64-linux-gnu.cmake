# File: cmake/toolchain-aarch64-linux-gnu.cmake
# Cross-compiles libpkvm for AArch64 Linux with Debian's cross toolchain
# (g++-aarch64-linux-gnu) against Debian's arm64 multiarch packages
# (libabsl-dev:arm64, libgtest-dev:arm64, ...), and runs the test binaries
# under qemu-user:
#   cmake --preset aarch64 && cmake --build --preset aarch64 && ctest --preset aarch64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Multiarch: arm64 libraries and their CMake packages live under
# /usr/lib/aarch64-linux-gnu, headers in /usr/include (shared with the host).
# Programs (cmake helpers, pkg-config) are the build machine's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# ctest (and gtest_discover_tests) run AArch64 binaries through qemu-user.
# With multiarch libc6:arm64 installed (a dependency of the :arm64 -dev
# packages) its loader is at /lib/ld-linux-aarch64.so.1 and must be used as
# is: `-L /usr/aarch64-linux-gnu` would pair the cross sysroot's ld.so with
# the multiarch libc.so.6 of another glibc build, and thread creation then
# hangs. Without multiarch, the cross sysroot provides both.
find_program(PKVM_QEMU_AARCH64 qemu-aarch64 REQUIRED)
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(_pkvm_emulator "${PKVM_QEMU_AARCH64}")
else()
  set(_pkvm_emulator "${PKVM_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${_pkvm_emulator}" CACHE STRING "qemu-user for AArch64 test binaries")
