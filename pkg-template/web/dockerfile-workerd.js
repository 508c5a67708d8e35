// layerkit/dockerfile (parse + lint only) for Workers runtimes: the web
// build of the smaller module, ready on import (see workerd.js).
import module from "./dockerfile_bg.wasm";
import { initSync } from "./dockerfile.js";

initSync({ module });

export * from "./dockerfile.js";
