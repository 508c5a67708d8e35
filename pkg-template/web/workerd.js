// layerkit for Workers runtimes (Cloudflare's workerd and others that load a
// `.wasm` import as a compiled WebAssembly.Module): the web build, ready on
// import. No `await init()`; the runtime compiled the module at deploy time.
import module from "./layerkit_bg.wasm";
import { initSync } from "./layerkit.js";

initSync({ module });

export * from "./layerkit.js";
