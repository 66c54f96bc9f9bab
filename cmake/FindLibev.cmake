# Debian's libev-dev ships no pkg-config file, so find it by hand.
#   Libev_FOUND, Libev_INCLUDE_DIRS, Libev_LIBRARIES, target Libev::Libev
find_path(Libev_INCLUDE_DIR NAMES ev.h)
find_library(Libev_LIBRARY NAMES ev)

if(Libev_INCLUDE_DIR AND EXISTS "${Libev_INCLUDE_DIR}/ev.h")
  file(STRINGS "${Libev_INCLUDE_DIR}/ev.h" _ev_major REGEX "^#define EV_VERSION_MAJOR[ \t]+[0-9]+")
  file(STRINGS "${Libev_INCLUDE_DIR}/ev.h" _ev_minor REGEX "^#define EV_VERSION_MINOR[ \t]+[0-9]+")
  string(REGEX REPLACE ".*[ \t]([0-9]+)$" "\\1" _ev_major "${_ev_major}")
  string(REGEX REPLACE ".*[ \t]([0-9]+)$" "\\1" _ev_minor "${_ev_minor}")
  set(Libev_VERSION "${_ev_major}.${_ev_minor}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libev
  REQUIRED_VARS Libev_LIBRARY Libev_INCLUDE_DIR
  VERSION_VAR Libev_VERSION)

if(Libev_FOUND)
  set(Libev_INCLUDE_DIRS "${Libev_INCLUDE_DIR}")
  set(Libev_LIBRARIES "${Libev_LIBRARY}")
  if(NOT TARGET Libev::Libev)
    add_library(Libev::Libev UNKNOWN IMPORTED)
    set_target_properties(Libev::Libev PROPERTIES
      IMPORTED_LOCATION "${Libev_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${Libev_INCLUDE_DIR}")
  endif()
endif()
mark_as_advanced(Libev_INCLUDE_DIR Libev_LIBRARY)
