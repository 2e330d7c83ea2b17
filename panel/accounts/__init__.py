"""Users (email as the login), organisations and memberships with roles."""
