// Preloaded with `node --require` to run a program as npm installs it on a platform dynoxide has no build
// for (macOS, Linux arm64, Windows): the optional @dynoxide/* package is simply absent.
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (typeof request === "string" && request.startsWith("@dynoxide/")) {
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: "MODULE_NOT_FOUND" });
  }
  return resolve.call(this, request, ...rest);
};
