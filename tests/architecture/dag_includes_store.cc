// A probe, never part of a binary: compiled with the dag component's include path. The engine
// sits above the store, so this include compiles (and shows the wrong-way probe fails for the
// right reason, not because probes cannot build at all).
#include "store/store.h"
