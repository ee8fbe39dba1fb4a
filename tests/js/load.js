/*
 * The page's script under test: the source in app/static/js, or with ARZYAB_STATIC=generated/static
 * the minified copy the app serves (scripts/minify_assets.py; scripts/test.sh runs both).
 */
"use strict";

const path = require("node:path");

module.exports = function load(name) {
  const root = process.env.ARZYAB_STATIC
    ? path.resolve(__dirname, "..", "..", process.env.ARZYAB_STATIC)
    : path.join(__dirname, "..", "..", "app", "static");
  return require(path.join(root, "js", name));
};
