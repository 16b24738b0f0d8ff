// Prints one plain closing line, "vitest: N passed, N failed, N skipped", after the default
// reporter's summary, so CI logs can be read without parsing vitest's coloured output. The line
// cannot say "0 failed" for a run that failed: a test file that failed to load or whose hooks
// failed counts as a failure even when its tests were skipped, unhandled errors count, and if
// vitest ends the run as failed for any other reason, that counts too.
import type { Reporter, TestModule, TestRunEndReason } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): void {
    let passed = 0,
      failed = 0,
      skipped = 0;
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else skipped++;
      }
      // A file that failed to load, or whose beforeAll failed, may have no failed test in it.
      if (module.state() === "failed" && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    failed += unhandledErrors.length;
    if (reason !== "passed" && failed === 0) failed = 1;
    console.log(
      `\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped${reason === "interrupted" ? " (interrupted)" : ""}`,
    );
  }
}
