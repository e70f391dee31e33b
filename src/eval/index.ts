export * from "./evaluate.js";
export * from "./function.js";
export { builtinFunctionNames, builtinFunctions } from "./functions/index.js";
export * from "./types.js";
export * from "./user-function.js";
export * from "./value.js";
