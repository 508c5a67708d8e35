// `require('layerkit/image')`: the ES module node.js, loaded on first use.
'use strict';

const load = () => import('./node.js');

exports.readImage = async (source, options) => (await load()).readImage(source, options);
exports.readFile = async (source, path, options) => (await load()).readFile(source, path, options);
