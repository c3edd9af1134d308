-- Failed logins, counted per login (whatever account it names, existing or not) and per login and client address
-- (services/Admin/Accounts/LoginThrottle.cs). A row goes when its login succeeds or its window passes.

CREATE TABLE login_failures (
    throttle_key     text PRIMARY KEY,
    failures         integer NOT NULL,
    first_failure_at timestamptz NOT NULL,
    locked_until     timestamptz
);
