DELETE FROM revisions WHERE action IN ('link', 'unlink');
ALTER TABLE revisions DROP CONSTRAINT revisions_action_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_action_check
    CHECK (action IN ('create', 'update', 'archive', 'import', 'withdraw', 'restore', 'merge'));
DROP TABLE initiative_links;
