// Fast-check runs with a fixed seed in CI (the same cases every run, so a red build reproduces
// and a green one means the same thing every time) and a fresh seed locally, to keep finding
// new cases. FC_SEED sets it explicitly; the seed in use is printed on failure by fast-check.
import fc from "fast-check";
import { IS_CI } from "./ci.js";

const given = process.env.FC_SEED;
if (given !== undefined || IS_CI) {
  fc.configureGlobal({ seed: Number(given ?? 20261128) });
}
