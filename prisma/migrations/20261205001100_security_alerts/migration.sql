-- Security alerts (issue 17.4): the addresses each key was recently used
-- from (a use from elsewhere raises an alert), and each alert's cooldown, so
-- that an attack raises one alert per rule and subject per cooldown period
-- however many requests it makes, on any number of instances.

-- CreateTable
CREATE TABLE "api_key_addresses" (
    "key_id" TEXT NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_key_addresses_pkey" PRIMARY KEY ("key_id","ip")
);

-- CreateTable
CREATE TABLE "security_alert_cooldowns" (
    "org_id" TEXT NOT NULL,
    "rule" VARCHAR(32) NOT NULL,
    "subject" VARCHAR(160) NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "security_alert_cooldowns_pkey" PRIMARY KEY ("org_id","rule","subject")
);

-- AddForeignKey
ALTER TABLE "api_key_addresses" ADD CONSTRAINT "api_key_addresses_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "security_alert_cooldowns" ADD CONSTRAINT "security_alert_cooldowns_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
