// A probe, never part of a binary: compiled with the store component's include path, as if it
// were a file of store. The store sits below the engine, so this include must not compile.
#include "dag/engine.h"
