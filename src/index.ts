// probkernels: the public API. init/initSync compile the embedded builds (or take a compiled module).
export * from "./api.js";
export { init, initSync } from "./engine/init.js";
