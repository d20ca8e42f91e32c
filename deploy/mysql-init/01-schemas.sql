-- One schema and one user per service; each user may touch only its own schema.
-- The MySQL image runs this once, when it initialises an empty data volume.
-- The passwords are the local stack's; deploy/compose.external.yml takes real
-- credentials from the environment instead.
--
-- In a database-level GRANT, '_' is a wildcard; it is escaped so that each grant
-- names exactly one schema.

CREATE DATABASE IF NOT EXISTS `paysuite_listener` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'listener'@'%' IDENTIFIED BY 'listener-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_listener`.* TO 'listener'@'%';

CREATE DATABASE IF NOT EXISTS `paysuite_topup` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'topup'@'%' IDENTIFIED BY 'topup-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_topup`.* TO 'topup'@'%';

CREATE DATABASE IF NOT EXISTS `paysuite_matcher` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'matcher'@'%' IDENTIFIED BY 'matcher-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_matcher`.* TO 'matcher'@'%';

CREATE DATABASE IF NOT EXISTS `paysuite_notifier` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'notifier'@'%' IDENTIFIED BY 'notifier-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_notifier`.* TO 'notifier'@'%';

CREATE DATABASE IF NOT EXISTS `paysuite_withdraw` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'withdraw'@'%' IDENTIFIED BY 'withdraw-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_withdraw`.* TO 'withdraw'@'%';

CREATE DATABASE IF NOT EXISTS `paysuite_pay` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'pay'@'%' IDENTIFIED BY 'pay-dev-password';
GRANT ALL PRIVILEGES ON `paysuite\_pay`.* TO 'pay'@'%';
