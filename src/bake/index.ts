export * from "./attributes.js";
export * from "./files.js";
export * from "./list.js";
export * from "./load.js";
export * from "./model.js";
export * from "./overrides.js";
export * from "./print.js";
export * from "./resolve.js";
