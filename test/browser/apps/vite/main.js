import { init, softmax, runtimeInfo } from "probkernels";

await init();
const p = softmax(new Float32Array([2, 1, 0.1]), 3);
document.getElementById("out").textContent = JSON.stringify({ softmax: Array.from(p), build: runtimeInfo().build });
