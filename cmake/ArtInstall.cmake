# Install rules: public headers, both libraries, the CMake package (target art::art, and
# art::art_static) and a pkg-config file. Everything is relocatable, so
# `cmake --install <build> --prefix <anywhere>` gives a working tree.
include(CMakePackageConfigHelpers)

set(ART_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/airssys-rt")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.h")

install(TARGETS art art_static
  EXPORT airssys-rtTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT airssys-rtTargets
  NAMESPACE art::
  DESTINATION "${ART_CMAKE_INSTALL_DIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/airssys-rtConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/airssys-rtConfig.cmake"
  INSTALL_DESTINATION "${ART_CMAKE_INSTALL_DIR}")
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/airssys-rtConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/airssys-rtConfig.cmake"
  "${PROJECT_BINARY_DIR}/airssys-rtConfigVersion.cmake"
  DESTINATION "${ART_CMAKE_INSTALL_DIR}")

# The .pc file finds its prefix from its own location (${pcfiledir}).
set(ART_PC_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ART_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH ART_PC_RELATIVE "/prefix/${ART_PC_INSTALL_DIR}" "/prefix")
  string(REGEX REPLACE "/$" "" ART_PC_RELATIVE "${ART_PC_RELATIVE}")
  set(ART_PC_PREFIX "\${pcfiledir}/${ART_PC_RELATIVE}")
endif()
foreach(dir IN ITEMS INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(ART_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(ART_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/cmake/airssys-rt.pc.in"
  "${PROJECT_BINARY_DIR}/airssys-rt.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/airssys-rt.pc" DESTINATION "${ART_PC_INSTALL_DIR}")
