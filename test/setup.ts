// Fast-check runs with a fixed seed in CI (the same cases every run, so a red build reproduces
// and a green one means the same thing every time) and a fresh seed locally, to keep finding
// new cases. FC_SEED sets it explicitly; the seed in use is printed on failure by fast-check.
import fc from "fast-check";

const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";
const given = process.env.FC_SEED;
if (given !== undefined || ci) {
  fc.configureGlobal({ seed: Number(given ?? 20261128) });
}
