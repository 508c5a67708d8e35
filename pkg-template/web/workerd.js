// layerkit for Workers runtimes (Cloudflare's workerd and others that load a
// `.wasm` import as a compiled WebAssembly.Module): the web build, ready on
// import: the runtime hands over the module compiled, so there is no
// `await init()`.
import module from "./layerkit_bg.wasm";
import { initSync } from "./layerkit.js";

initSync({ module });

export * from "./layerkit.js";
