export * from "./ast.js";
export * from "./json.js";
export * from "./parse.js";
export * from "./walk.js";
