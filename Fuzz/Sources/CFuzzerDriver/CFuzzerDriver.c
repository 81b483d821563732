// Declarations only: LLVMFuzzerRunDriver lives in libFuzzer (see include/CFuzzerDriver.h).
#include "CFuzzerDriver.h"
