"""AWS Identity and Access Management: users, groups, roles, policies, keys and identity providers."""
