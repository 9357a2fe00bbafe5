//! Diesel's view of the tables (hand-written; generated and full-text columns are left out because
//! only SQL reads them).

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    initiatives (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        description -> Text,
        geom -> Geometry,
        street -> Nullable<Text>,
        postcode -> Nullable<Text>,
        city -> Nullable<Text>,
        country_code -> Nullable<Text>,
        insee_code -> Nullable<Text>,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        links -> Array<Text>,
        opening_hours -> Nullable<Text>,
        tags -> Array<Text>,
        status -> Text,
        moderation -> Text,
        licence -> Nullable<Text>,
        attribution -> Nullable<Text>,
        source_id -> Nullable<Text>,
        external_id -> Nullable<Text>,
        content_hash -> Nullable<Text>,
        source_url -> Nullable<Text>,
        fetched_at -> Nullable<Timestamptz>,
        imported_at -> Nullable<Timestamptz>,
        person_edited_at -> Nullable<Timestamptz>,
        last_confirmed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Integer,
        category_slugs -> Array<Text>,
    }
}

diesel::table! {
    categories (id) {
        id -> Integer,
        parent_id -> Nullable<Integer>,
        slug -> Text,
        name_fr -> Text,
        name_en -> Text,
        colour -> Text,
        icon -> Text,
        position -> SmallInt,
    }
}

diesel::table! {
    initiative_categories (initiative_id, category_id) {
        initiative_id -> Uuid,
        category_id -> Integer,
        position -> SmallInt,
    }
}

diesel::table! {
    revisions (id) {
        id -> BigInt,
        initiative_id -> Uuid,
        action -> Text,
        author -> Text,
        import_run_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        old_values -> Nullable<Jsonb>,
        new_values -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        merged_from -> Nullable<Uuid>,
    }
}

diesel::table! {
    initiative_merges (merged_id) {
        merged_id -> Uuid,
        into_id -> Uuid,
        merged_by -> Text,
        reason -> Nullable<Text>,
        merged_at -> Timestamptz,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        token_sha256 -> Bytea,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(initiative_categories -> initiatives (initiative_id));
diesel::joinable!(initiative_categories -> categories (category_id));
diesel::joinable!(revisions -> initiatives (initiative_id));
diesel::allow_tables_to_appear_in_same_query!(
    initiatives,
    categories,
    initiative_categories,
    revisions,
    api_tokens,
    initiative_merges
);

diesel::table! {
    use diesel::sql_types::*;

    sources (id) {
        id -> Text,
        name -> Text,
        format -> Text,
        location -> Text,
        mapping -> Jsonb,
        licence -> Nullable<Text>,
        attribution -> Nullable<Text>,
        complete -> Bool,
        moderation -> Text,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    import_runs (id) {
        id -> BigInt,
        source_id -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        status -> Text,
        trigger -> Text,
        fetched -> Integer,
        created -> Integer,
        updated -> Integer,
        unchanged -> Integer,
        withdrawn -> Integer,
        restored -> Integer,
        rejected -> Integer,
        skipped -> Integer,
        conflicts -> Integer,
        duplicates -> Integer,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    import_rejects (id) {
        id -> BigInt,
        run_id -> BigInt,
        external_id -> Nullable<Text>,
        position -> Nullable<Text>,
        reason -> Text,
        raw -> Text,
    }
}

diesel::table! {
    import_conflicts (id) {
        id -> BigInt,
        run_id -> BigInt,
        initiative_id -> Uuid,
        incoming_hash -> Text,
        incoming -> Jsonb,
        current -> Jsonb,
        fields -> Array<Text>,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    duplicate_candidates (id) {
        id -> BigInt,
        initiative_a -> Uuid,
        initiative_b -> Uuid,
        score -> Float,
        distance_m -> Nullable<Float>,
        name_similarity -> Nullable<Float>,
        shared_contacts -> Array<Text>,
        run_id -> Nullable<BigInt>,
        status -> Text,
        created_at -> Timestamptz,
    }
}

// The raw staging table of an import: a temporary table created for each run (see `sync`).
diesel::table! {
    use diesel::sql_types::*;

    import_raw (external_id) {
        external_id -> Text,
        content_hash -> Text,
        new_id -> Uuid,
        name -> Text,
        description -> Text,
        geom -> Text,
        attributes -> Text,
        links -> Text,
        tags -> Text,
        categories -> Text,
        status -> Text,
        source_url -> Nullable<Text>,
        digest -> Nullable<Text>,
        known -> Bool,
    }
}

diesel::joinable!(import_runs -> sources (source_id));
diesel::joinable!(import_rejects -> import_runs (run_id));
diesel::joinable!(import_conflicts -> import_runs (run_id));
diesel::allow_tables_to_appear_in_same_query!(
    sources,
    import_runs,
    import_rejects,
    import_conflicts,
    duplicate_candidates,
    initiatives
);
