// Public API of express-wecom-auth. Filled in by the client and middleware modules.
export {};
