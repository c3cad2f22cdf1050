# What `cmake --install BUILD --prefix P` puts under P:
#   bin/maml
#   include/maml/*.h            the library's headers (the viewer's aside) and build_config.h
#   lib/libmaml.a, lib/libmaml.so -> libmaml.so.0 -> libmaml.so.0.1.0
#   lib/cmake/maml/             the CMake package: find_package(maml) gives maml::maml (the
#                               shared library) and maml::maml_static
#   lib/pkgconfig/maml.pc       pkg-config --cflags --libs maml
#   share/maml/assets/          the MJCF models, found from bin/ and lib/ by relative path
# (lib is CMAKE_INSTALL_LIBDIR: lib/x86_64-linux-gnu under the prefix /usr.) Every path
# written into the package is relative to where it is installed, so P can be moved.
include(CMakePackageConfigHelpers)
set(MAML_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/maml)

install(TARGETS maml RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${MAML_LIBRARIES} EXPORT mamlTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB MAML_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/maml/*.h)
list(REMOVE_ITEM MAML_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/include/maml/view.h) # not installed
install(FILES ${MAML_PUBLIC_HEADERS} ${PROJECT_BINARY_DIR}/include/maml/build_config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/maml)
install(DIRECTORY assets/ DESTINATION ${CMAKE_INSTALL_DATADIR}/maml/assets)

# the CMake package
install(EXPORT mamlTargets NAMESPACE maml:: DESTINATION ${MAML_CMAKE_DIR})
configure_package_config_file(cmake/mamlConfig.cmake.in ${PROJECT_BINARY_DIR}/mamlConfig.cmake
                              INSTALL_DESTINATION ${MAML_CMAKE_DIR})
# 0.x: a minor version may change the interface
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mamlConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mamlConfig.cmake ${PROJECT_BINARY_DIR}/mamlConfigVersion.cmake
        DESTINATION ${MAML_CMAKE_DIR})

# the pkg-config file: the prefix found from the file's own folder (${pcfiledir})
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MAML_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" _pc_up "${_pc_up}")
  set(MAML_PC_PREFIX "\${pcfiledir}/${_pc_up}")
endif()
set(MAML_PC_REQUIRES_PRIVATE "lapacke")
set(MAML_PC_LIBS_PRIVATE "-lpthread -lm")
foreach(lib ${CMAKE_DL_LIBS})
  string(APPEND MAML_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
if(MAML_MPI)
  string(APPEND MAML_PC_REQUIRES_PRIVATE " mpi-c") # Open MPI's (libopenmpi-dev)
endif()
if(MAML_DNNL)
  string(APPEND MAML_PC_LIBS_PRIVATE " ${DNNL_LIBRARY} ${OpenMP_C_FLAGS}")
endif()
configure_file(cmake/maml.pc.in ${PROJECT_BINARY_DIR}/maml.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/maml.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
