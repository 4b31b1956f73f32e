// ESLint flat config: typescript-eslint's strict, type-checked rules over all TypeScript in the repo.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // templates/: `pulumi new` projects with their own tsconfig and no node_modules here; the root tsc
  // type-checks them, and test/cli/template.test.ts runs one through the real CLI.
  { ignores: ["dist/**", "node_modules/**", "eslint.config.mjs", "**/*.js", "templates/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // examples/*: projects a user copies, each with its own tsconfig.json (which resolves pulumi-enos from its
    // node_modules); here they are type-checked against the repository's tsconfig, where pulumi-enos is the source.
    files: ["examples/**/*.ts"],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: "./tsconfig.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Tests poke at untyped wire data (gRPC structs, JSON bodies) on purpose.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
