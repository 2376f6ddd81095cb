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
# ctest (and gtest_discover_tests) run AArch64 binaries through qemu-user,
# with the arm64 loader and libraries of the cross sysroot and multiarch.
find_program(PKVM_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${PKVM_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu" CACHE STRING
    "qemu-user for AArch64 test binaries")
