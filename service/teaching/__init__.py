"""Teaching content built on the compute core (imports no Flask): computed facts, concepts,
quiz generation and grading with signed stateless ids, and LMS exports."""
