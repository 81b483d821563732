#ifndef PYLON_CSYSTEMD_SHIM_H
#define PYLON_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif
