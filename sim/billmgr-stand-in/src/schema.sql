-- The part of BILLmanager's database that pmdci6 reads and that the stand-in's mgrctl writes
-- (spec §4). Column names follow BILLmanager; types are reasonable guesses where the spec is
-- silent. Columns marked "stand-in" record what a callback did where BILLmanager's own storage
-- is unknown.

CREATE TABLE measure (
    id INT AUTO_INCREMENT PRIMARY KEY,
    intname VARCHAR(64) NOT NULL UNIQUE,
    relation DECIMAL(20, 6) NULL,
    lessmeasure INT NULL
);

CREATE TABLE itemtype (
    id INT AUTO_INCREMENT PRIMARY KEY,
    intname VARCHAR(64) NOT NULL UNIQUE
);

CREATE TABLE itemtypeparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    itemtype INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    UNIQUE KEY (itemtype, intname)
);

CREATE TABLE itemtypeparamvalue (
    id INT AUTO_INCREMENT PRIMARY KEY,
    itemtypeparam INT NOT NULL,
    intname VARCHAR(255) NOT NULL,
    name VARCHAR(255) NULL,
    name_ru VARCHAR(255) NULL,
    UNIQUE KEY (itemtypeparam, intname)
);

CREATE TABLE processingmodule (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    module VARCHAR(64) NOT NULL,
    active ENUM('on', 'off') NOT NULL DEFAULT 'on',
    orderpriority INT NOT NULL DEFAULT 0,
    ipmgr INT NULL,
    config LONGTEXT NULL
);

CREATE TABLE processingparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    processingmodule INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    value TEXT NULL,
    UNIQUE KEY (processingmodule, intname)
);

CREATE TABLE processingcryptedparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    processingmodule INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    value TEXT NULL,
    UNIQUE KEY (processingmodule, intname)
);

CREATE TABLE processingmodule2itemtypeparamvalue (
    processingmodule INT NOT NULL,
    itemtypeparamvalue INT NOT NULL,
    PRIMARY KEY (processingmodule, itemtypeparamvalue)
);

CREATE TABLE processingmodule2pricelist (
    processingmodule INT NOT NULL,
    pricelist INT NOT NULL,
    active ENUM('on', 'off') NOT NULL DEFAULT 'on',
    PRIMARY KEY (processingmodule, pricelist)
);

-- `enumeration`: stand-in; the addon pricelist whose values these are.
CREATE TABLE enumerationitem (
    id INT AUTO_INCREMENT PRIMARY KEY,
    enumeration INT NULL,
    intname VARCHAR(255) NOT NULL
);

-- Tariffs (parent NULL) and their addon pricelists (parent = tariff).
-- addontype: 1 boolean, 2 integer, 3 enum; billtype: 1 none, 2 ordered, 3 stat, 4 compound,
-- 5 calc, 10 manual.
CREATE TABLE pricelist (
    id INT AUTO_INCREMENT PRIMARY KEY,
    parent INT NULL,
    itemtype INT NOT NULL,
    intname VARCHAR(64) NULL,
    name VARCHAR(255) NULL,
    project INT NULL,
    active ENUM('on', 'off') NOT NULL DEFAULT 'on',
    addontype INT NULL,
    billtype INT NULL,
    addonlimit BIGINT NULL,
    addonmax BIGINT NULL,
    addonbool ENUM('on', 'off') NULL,
    addonmaxtrial BIGINT NULL,
    enumerationitem INT NULL,
    measure INT NULL,
    compound INT NULL
);

CREATE TABLE pricelistparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    pricelist INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    value TEXT NULL,
    UNIQUE KEY (pricelist, intname)
);

CREATE TABLE account (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);

CREATE TABLE `user` (
    id INT AUTO_INCREMENT PRIMARY KEY,
    account INT NOT NULL,
    name VARCHAR(255) NOT NULL,
    email VARCHAR(255) NULL
);

-- Services (parent NULL) and their addons (parent = service).
-- status: 1 ordered, 2 active, 3 suspended, 4 deleted, 5 processing; period -100 = trial.
-- service_status: stand-in; the value of the last service.setstatus.
CREATE TABLE item (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NULL,
    account INT NOT NULL,
    pricelist INT NOT NULL,
    lastpricelist INT NULL,
    processingmodule INT NULL,
    parent INT NULL,
    period INT NOT NULL DEFAULT 1,
    status INT NOT NULL DEFAULT 1,
    service_status INT NULL,
    expiredate DATE NULL,
    opendate DATE NULL,
    remoteid VARCHAR(255) NULL,
    intvalue BIGINT NULL,
    boolvalue ENUM('on', 'off') NULL,
    addonlimit BIGINT NULL,
    addonmax BIGINT NULL,
    addonmaxtrial BIGINT NULL,
    enumerationitem INT NULL
);

CREATE TABLE itemparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    value TEXT NULL,
    UNIQUE KEY (item, intname)
);

CREATE TABLE itemcryptedparam (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NOT NULL,
    intname VARCHAR(64) NOT NULL,
    value TEXT NULL,
    UNIQUE KEY (item, intname)
);

-- A service's IP list: one row per address slot of its IP add-on items (product types ip,
-- ipv6); status 1 is an empty slot, 2 an address in use. committed: stand-in, whether
-- service.ip.add.commit confirmed the address.
CREATE TABLE ip (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NOT NULL,
    name VARCHAR(64) NOT NULL DEFAULT '',
    status INT NOT NULL DEFAULT 1,
    mask VARCHAR(64) NULL,
    gateway VARCHAR(64) NULL,
    domain VARCHAR(255) NULL,
    committed ENUM('on', 'off') NOT NULL DEFAULT 'off'
);

-- Problems on the administrator's dashboard (problems.register), one per name and object;
-- params: the param_* fields as JSON. resolved: stand-in, set by problems.resolve.
CREATE TABLE problem (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    objid INT NOT NULL,
    level VARCHAR(16) NULL,
    params TEXT NULL,
    resolved ENUM('on', 'off') NOT NULL DEFAULT 'off',
    UNIQUE KEY (name, objid)
);

-- manual, errorxml: stand-in; what runningoperation.setmanual and runningoperation.edit stored.
CREATE TABLE runningoperation (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NOT NULL,
    processingmodule INT NULL,
    trycount INT NOT NULL DEFAULT 0,
    manual ENUM('on', 'off') NOT NULL DEFAULT 'off',
    errorxml LONGTEXT NULL,
    cdate DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Stand-in: the task type task.gettype answers for each operation (BILLmanager configures
-- these per department).
CREATE TABLE tasktype (
    id INT AUTO_INCREMENT PRIMARY KEY,
    operation VARCHAR(64) NOT NULL UNIQUE
);

CREATE TABLE task (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NULL,
    runningoperation INT NULL,
    type INT NOT NULL,
    params TEXT NULL,
    status INT NOT NULL DEFAULT 1
);

-- What every BILLmanager has before any module is added.
INSERT INTO measure (id, intname, relation, lessmeasure) VALUES
    (1, 'unit', NULL, NULL),
    (2, 'mb', NULL, NULL),
    (3, 'gb', 1024, 2),
    (4, 'tb', 1024, 3);

INSERT INTO itemtype (id, intname) VALUES (1, 'dedic');
INSERT INTO itemtypeparam (itemtype, intname) VALUES (1, 'ostempl'), (1, 'recipe');

INSERT INTO tasktype (operation) VALUES
    ('open'), ('suspend'), ('resume'), ('close'), ('setparam'), ('reboot'), ('sync_item');

-- Usage statistics, written by the modules themselves (ISPsystem's pylib `insert_stat`: add to
-- the day's value on a repeated day, hence the unique key).
CREATE TABLE itemstat (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item INT NOT NULL,
    statdate DATE NOT NULL,
    param VARCHAR(64) NOT NULL,
    value DECIMAL(24, 6) NOT NULL DEFAULT 0,
    measure INT NULL,
    UNIQUE KEY item_statdate_param (item, statdate, param)
);
