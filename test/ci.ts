// Whether this run is CI: CI set to anything but "", "0" or "false" (CI=false is a local run).
export const IS_CI = !["", "0", "false", undefined].includes(process.env.CI?.toLowerCase());
