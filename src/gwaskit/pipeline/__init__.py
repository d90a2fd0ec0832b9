"""One plan file, the whole study: the plan schema (:mod:`.plan`) and the stage runner (:mod:`.runner`)."""
