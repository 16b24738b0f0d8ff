// probkernels/core: the public API without the embedded builds, for a worker (or any bundle)
// that runs a module compiled elsewhere: initSync({ module: runtimeInfo().module }) with the
// module another thread posted. Everything else is the main entry's, module state included.
export * from "./api.js";
export { initFromModule as init, initSyncFromModule as initSync } from "./engine/runtime.js";
