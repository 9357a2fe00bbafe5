DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE user_links;
DROP TABLE users;
