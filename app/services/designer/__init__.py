"""The process designer's workbench: validate uploads, drafts, deploy versions, diffs, exports, and the
migration of running cases between versions. Every function takes the acting designer first."""
