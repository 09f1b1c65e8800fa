// Placeholder translation unit so a module with no sources yet still configures.
