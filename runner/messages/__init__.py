"""Message texts: the facts a message may use, templates, the model's prompt and validation."""
