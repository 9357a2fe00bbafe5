DROP INDEX initiatives_xy_idx;
