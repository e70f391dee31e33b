export * from "./diagnostic.js";
export * from "./did-you-mean.js";
export * from "./printable.js";
export * from "./source.js";
export * from "./utf8.js";
