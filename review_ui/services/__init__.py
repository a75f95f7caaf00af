"""Business logic of the review application; handlers only parse, authorise and render."""
