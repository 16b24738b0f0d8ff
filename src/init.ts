// init and initSync of the main entry: compile the embedded builds (once each) and run the most
// capable one the engine compiles, or the one asked for, or a module compiled elsewhere.
import { availableBuilds, checkBuildChoice, moduleOf, precompileBuilds, resolveBuild } from "./builds.js";
import {
  checkArenaBytes, checkModule, INIT_OPTION_KEYS, initSyncFromModule, installDefault,
  type InitOptions, type RuntimeInfo,
} from "./runtime.js";
import { readOptions } from "./validate.js";

/**
 * Compiles and instantiates the kernels (synchronously). Idempotent: when the build it would
 * run is the one already running (also when "auto" resolves to it), the instance, its memory
 * and every WasmArray stay, and only arenaBytes is updated when given; another build replaces
 * the instance (WasmArrays of the old one are refused from then on). With `module`, runs that
 * compiled build instead (see InitOptions.module).
 */
export function initSync(options?: InitOptions): RuntimeInfo {
  const o = readOptions("init", options, INIT_OPTION_KEYS);
  if (checkModule(o.module) !== undefined) return initSyncFromModule(o as InitOptions);
  const choice = checkBuildChoice(o.build);
  const arenaBytes = checkArenaBytes(o.arenaBytes);
  return installDefault(moduleOf(resolveBuild(choice)), arenaBytes, availableBuilds());
}

/**
 * Compiles the builds asynchronously (nothing blocks a browser's main thread), then does what
 * initSync does. Idempotent.
 */
export async function init(options?: InitOptions): Promise<RuntimeInfo> {
  const o = readOptions("init", options, INIT_OPTION_KEYS);
  if (checkModule(o.module) === undefined) await precompileBuilds();
  return initSync(o as InitOptions);
}
