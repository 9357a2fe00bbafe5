DROP TABLE assessment_scores;
DROP TABLE assessments;
DROP TABLE evaluation_criteria;
DROP TABLE evaluation_dimensions;
