/* gtrain: umbrella header. */
#ifndef GTRAIN_H
#define GTRAIN_H

#include "status.h"
#include "tensor.h"
#include "backend.h"
#include "model.h"
#include "data.h"
#include "train.h"
#include "callbacks.h"
#include "report.h"
#include "progress.h"
#include "clock.h"
#include "dist.h"

#define GTRAIN_VERSION_MAJOR 0
#define GTRAIN_VERSION_MINOR 1
#define GTRAIN_VERSION_PATCH 0
#define GTRAIN_VERSION_STRING "0.1.0"

#endif
