//! Parameter names of the built-ins, as DolphinDB's documentation writes their syntax.
//!
//! They serve keyword arguments (`digitize(x=x, bins=bins, right=false)`,
//! `mavg(X, 3, minPeriods=1)`): the interpreter places each `name = value` argument at its
//! parameter's position before calling the built-in (see `interp::eval`). They also serve
//! `syntax(f)`, which prints `f(X, window, [minPeriods])`. An optional parameter is written in
//! brackets; `args...` marks a variadic tail, which can't be given by keyword. A built-in
//! missing from this table takes keyword arguments in call order and sorts them itself
//! (`stats::params::bind`).

/// `(name, parameters)` for every built-in whose syntax DolphinDB documents.
const SIGNATURES: &[(&str, &str)] = &[
    // Aggregates.
    ("sum", "X"),
    ("sum2", "X"),
    ("sum3", "X"),
    ("sum4", "X"),
    ("avg", "X"),
    ("mean", "X"),
    ("count", "X"),
    ("min", "X, [Y]"),
    ("max", "X, [Y]"),
    ("std", "X"),
    ("stdp", "X"),
    ("var", "X"),
    ("varp", "X"),
    ("med", "X"),
    ("percentile", "X, percent, [interpolation]"),
    ("quantile", "X, q, [interpolation]"),
    ("first", "X"),
    ("last", "X"),
    ("firstNot", "X, [NULL]"),
    ("lastNot", "X, [NULL]"),
    ("prod", "X"),
    ("mode", "X"),
    ("skew", "X, [biased]"),
    ("kurtosis", "X, [biased]"),
    ("imax", "X"),
    ("imin", "X"),
    ("imaxLast", "X"),
    ("iminLast", "X"),
    ("nunique", "X, [ignoreNull]"),
    ("wavg", "X, Y"),
    ("wsum", "X, Y"),
    ("corr", "X, Y"),
    ("covar", "X, Y"),
    ("covarp", "X, Y"),
    ("beta", "Y, X"),
    ("atImax", "location, value"),
    ("atImin", "location, value"),
    ("all", "X"),
    ("any", "X"),
    // Arithmetic, math and logic.
    ("add", "X, Y"),
    ("sub", "X, Y"),
    ("mul", "X, Y"),
    ("div", "X, Y"),
    ("ratio", "X, Y"),
    ("mod", "X, Y"),
    ("pow", "X, Y"),
    ("neg", "X"),
    ("abs", "X"),
    ("signum", "X"),
    ("floor", "X"),
    ("ceil", "X"),
    ("round", "X, [scale]"),
    ("sqrt", "X"),
    ("cbrt", "X"),
    ("square", "X"),
    ("reciprocal", "X"),
    ("exp", "X"),
    ("exp2", "X"),
    ("expm1", "X"),
    ("log", "X"),
    ("log2", "X"),
    ("log10", "X"),
    ("log1p", "X"),
    ("sin", "X"),
    ("cos", "X"),
    ("tan", "X"),
    ("asin", "X"),
    ("acos", "X"),
    ("atan", "X"),
    ("sinh", "X"),
    ("cosh", "X"),
    ("tanh", "X"),
    ("asinh", "X"),
    ("acosh", "X"),
    ("atanh", "X"),
    ("deg2rad", "X"),
    ("rad2deg", "X"),
    ("clip", "X, Y, Z"),
    ("bitAnd", "X, Y"),
    ("bitOr", "X, Y"),
    ("bitXor", "X, Y"),
    ("bitNot", "X"),
    ("lshift", "X, bits"),
    ("rshift", "X, bits"),
    ("and", "X, Y"),
    ("or", "X, Y"),
    ("xor", "X, Y"),
    ("not", "X"),
    // Comparison.
    ("eq", "X, Y"),
    ("ne", "X, Y"),
    ("lt", "X, Y"),
    ("le", "X, Y"),
    ("gt", "X, Y"),
    ("ge", "X, Y"),
    ("between", "X, Y"),
    ("eqObj", "obj1, obj2, [precision]"),
    ("eqFloat", "X, Y, [precision]"),
    // Construction.
    (
        "array",
        "dataType, [initialSize], [capacity], [defaultValue]",
    ),
    (
        "bigarray",
        "dataType, [initialSize], [capacity], [defaultValue]",
    ),
    ("matrix", "X1, [X2], ..."),
    ("pair", "X, Y"),
    ("set", "X"),
    ("dict", "keyObj, valueObj, [ordered]"),
    ("table", "X, [X1], [X2], ..."),
    ("keyedTable", "keyColumns, X, [X1], [X2], ..."),
    ("indexedTable", "keyColumns, X, [X1], [X2], ..."),
    ("streamTable", "X, [X1], [X2], ..."),
    ("seq", "start, end"),
    ("til", "n"),
    ("take", "X, n"),
    ("rand", "X, count"),
    ("norm", "mean, std, count"),
    ("arrayVector", "index, value"),
    ("fixedLengthArrayVector", "args..."),
    ("enlist", "X"),
    // Conversion.
    ("string", "X"),
    ("bool", "X"),
    ("char", "X"),
    ("short", "X"),
    ("int", "X"),
    ("long", "X"),
    ("float", "X"),
    ("double", "X"),
    ("date", "X"),
    ("month", "X"),
    ("time", "X"),
    ("minute", "X"),
    ("second", "X"),
    ("datetime", "X"),
    ("timestamp", "X"),
    ("nanotime", "X"),
    ("nanotimestamp", "X"),
    ("datehour", "X"),
    ("symbol", "X"),
    ("blob", "X"),
    ("uuid", "X"),
    ("ipaddr", "X"),
    ("int128", "X"),
    ("decimal32", "X, scale"),
    ("decimal64", "X, scale"),
    ("decimal128", "X, scale"),
    ("duration", "X"),
    ("cast", "X, type"),
    ("type", "X"),
    ("typestr", "X"),
    ("form", "X"),
    ("isNull", "X"),
    ("isValid", "X"),
    ("isVoid", "X"),
    ("fromUTF8", "str, encode"),
    ("toUTF8", "str, encode"),
    // Cumulative.
    ("cumsum", "X"),
    ("cumsum2", "X"),
    ("cumsum3", "X"),
    ("cumsum4", "X"),
    ("cumprod", "X"),
    ("cummax", "X"),
    ("cummin", "X"),
    ("cumavg", "X"),
    ("cumcount", "X"),
    ("cumstd", "X"),
    ("cumstdp", "X"),
    ("cumvar", "X"),
    ("cumvarp", "X"),
    ("cummed", "X"),
    ("cumpercentile", "X, percent, [interpolation]"),
    ("cumfirstNot", "X, [NULL]"),
    ("cumlastNot", "X, [NULL]"),
    ("cumnunique", "X"),
    ("cumPositiveStreak", "X"),
    ("cumwsum", "X, Y"),
    ("cumwavg", "X, Y"),
    ("cumcorr", "X, Y"),
    ("cumcovar", "X, Y"),
    ("cumbeta", "Y, X"),
    // Higher-order functions.
    ("each", "func, args..."),
    ("peach", "func, args..."),
    ("loop", "func, args..."),
    ("ploop", "func, args..."),
    ("eachLeft", "func, X, Y, [consistent]"),
    ("eachRight", "func, X, Y, [consistent]"),
    ("eachPre", "func, X, [pre]"),
    ("eachPost", "func, X, [post]"),
    ("accumulate", "func, X, [init], [consistent]"),
    ("reduce", "func, X, [init], [consistent]"),
    ("cross", "func, X, [Y]"),
    ("pcross", "func, X, [Y]"),
    ("call", "func, args..."),
    ("unifiedCall", "func, args"),
    ("print", "args..."),
    // Matrices.
    ("transpose", "X"),
    ("flip", "X"),
    ("dot", "X, Y"),
    ("inverse", "X"),
    ("inv", "X"),
    ("det", "X"),
    ("solve", "X, Y"),
    ("lu", "X, [permute]"),
    ("qr", "X, [mode], [pivoting]"),
    ("cholesky", "X, [lower]"),
    ("diag", "X"),
    ("eye", "n"),
    ("triu", "X, [k]"),
    ("tril", "X, [k]"),
    ("repmat", "X, rowRep, colRep"),
    ("corrMatrix", "X"),
    ("covarMatrix", "X"),
    ("shape", "X"),
    ("rowNames", "X"),
    ("colNames", "X"),
    ("concatMatrix", "X, [horizontal]"),
    // Moving windows over element counts.
    ("msum", "X, window, [minPeriods]"),
    ("msum2", "X, window, [minPeriods]"),
    ("mavg", "X, window, [minPeriods]"),
    ("mcount", "X, window, [minPeriods]"),
    ("mmax", "X, window, [minPeriods]"),
    ("mmin", "X, window, [minPeriods]"),
    ("mimax", "X, window, [minPeriods]"),
    ("mimin", "X, window, [minPeriods]"),
    ("mstd", "X, window, [minPeriods]"),
    ("mstdp", "X, window, [minPeriods]"),
    ("mvar", "X, window, [minPeriods]"),
    ("mvarp", "X, window, [minPeriods]"),
    ("mskew", "X, window, [biased], [minPeriods]"),
    ("mkurtosis", "X, window, [biased], [minPeriods]"),
    ("mmed", "X, window, [minPeriods]"),
    (
        "mpercentile",
        "X, percent, window, [interpolation], [minPeriods]",
    ),
    ("mprod", "X, window, [minPeriods]"),
    ("mfirst", "X, window, [minPeriods]"),
    ("mlast", "X, window, [minPeriods]"),
    ("mfirstNot", "X, window, [minPeriods]"),
    ("mlastNot", "X, window, [minPeriods]"),
    (
        "mrank",
        "X, ascending, window, [ignoreNA], [tiesMethod], [percent], [minPeriods]",
    ),
    ("mcorr", "X, Y, window, [minPeriods]"),
    ("mcovar", "X, Y, window, [minPeriods]"),
    ("mbeta", "Y, X, window, [minPeriods]"),
    ("mwavg", "X, Y, window, [minPeriods]"),
    ("mwsum", "X, Y, window, [minPeriods]"),
    // Moving windows over a time column.
    ("tmsum", "T, X, window"),
    ("tmsum2", "T, X, window"),
    ("tmavg", "T, X, window"),
    ("tmcount", "T, X, window"),
    ("tmmax", "T, X, window"),
    ("tmmin", "T, X, window"),
    ("tmstd", "T, X, window"),
    ("tmstdp", "T, X, window"),
    ("tmvar", "T, X, window"),
    ("tmvarp", "T, X, window"),
    ("tmskew", "T, X, window, [biased]"),
    ("tmkurtosis", "T, X, window, [biased]"),
    ("tmmed", "T, X, window"),
    ("tmpercentile", "T, X, percent, window, [interpolation]"),
    ("tmprod", "T, X, window"),
    ("tmfirst", "T, X, window"),
    ("tmlast", "T, X, window"),
    ("tmcorr", "T, X, Y, window"),
    ("tmcovar", "T, X, Y, window"),
    ("tmbeta", "T, Y, X, window"),
    ("tmwavg", "T, X, Y, window"),
    ("tmwsum", "T, X, Y, window"),
    // Order, shifts and filling.
    ("prev", "X"),
    ("next", "X"),
    ("move", "X, steps"),
    ("deltas", "X, [n]"),
    ("ratios", "X"),
    ("percentChange", "X, [n]"),
    (
        "rank",
        "X, [ascending], [groupNum], [ignoreNA], [tiesMethod], [percent], [precision]",
    ),
    ("denseRank", "X, [ascending], [ignoreNA], [percent]"),
    ("isort", "X, [ascending]"),
    ("isort!", "X, ascending, indices"),
    ("sort", "X, [ascending]"),
    ("sort!", "obj, [ascending]"),
    ("sortBy!", "table, sortColumns, [sortDirections]"),
    ("reverse", "X"),
    ("distinct", "X"),
    ("iif", "cond, trueResult, falseResult"),
    ("ffill", "obj, [limit]"),
    ("ffill!", "obj, [limit]"),
    ("bfill", "obj, [limit]"),
    ("bfill!", "obj, [limit]"),
    ("lfill", "obj"),
    ("lfill!", "obj"),
    ("nullFill", "X, Y"),
    ("nullFill!", "X, Y"),
    // Row-wise.
    ("rowSum", "args..."),
    ("rowSum2", "args..."),
    ("rowAvg", "args..."),
    ("rowCount", "args..."),
    ("rowSize", "args..."),
    ("rowMax", "args..."),
    ("rowMin", "args..."),
    ("rowProd", "args..."),
    ("rowStd", "args..."),
    ("rowStdp", "args..."),
    ("rowVar", "args..."),
    ("rowVarp", "args..."),
    ("rowAnd", "args..."),
    ("rowOr", "args..."),
    ("rowXor", "args..."),
    ("rowSkew", "X, [biased]"),
    ("rowKurtosis", "X, [biased]"),
    ("rowImax", "args..."),
    ("rowImin", "args..."),
    (
        "rowRank",
        "X, [ascending], [groupNum], [ignoreNA], [tiesMethod], [percent], [precision]",
    ),
    ("rowDenseRank", "X, [ascending], [ignoreNA], [percent]"),
    ("rowWsum", "X, Y"),
    ("rowWavg", "X, Y"),
    ("rowDot", "X, Y"),
    ("rowCorr", "X, Y"),
    ("rowCovar", "X, Y"),
    ("rowBeta", "Y, X"),
    ("rowEuclidean", "X, Y"),
    ("rowTanimoto", "X, Y"),
    ("rowCumsum", "X"),
    ("rowCumprod", "X"),
    ("rowCummax", "X"),
    ("rowCummin", "X"),
    ("rowAt", "X, [Y]"),
    ("rowMove", "X, steps"),
    ("rowPrev", "X"),
    ("rowNext", "X"),
    // Session and node.
    ("version", ""),
    ("getNodeAlias", ""),
    ("getNodeType", ""),
    // Cluster nodes (crates/cluster membership).
    ("getClusterPerf", "[includeMaster]"),
    ("getDataNodes", ""),
    ("getComputeNodes", ""),
    ("startDataNode", "X"),
    ("stopDataNode", "X"),
    ("startComputeNode", "X"),
    ("stopComputeNode", "X"),
    ("getConfig", "key"),
    ("rpc", "nodeAlias, func, args..."),
    ("pnodeRun", "func, [nodes], [addNodeAlias]"),
    ("xdb", "host, port, [userId], [password], [enableSSL]"),
    ("remoteRun", "conn, script, args..."),
    ("remoteRunWithCompression", "conn, script, args..."),
    ("close", "handle"),
    // Controllers (crates/cluster controller).
    ("getActiveMaster", ""),
    ("getControllerAlias", ""),
    ("getClusterDFSDatabases", "[includeSysDb]"),
    ("getClusterChunksStatus", ""),
    ("getClusterNodesCfg", ""),
    ("saveClusterNodes", "nodes"),
    ("loadClusterNodesConfigs", ""),
    ("saveClusterNodesConfigs", "configs"),
    ("getConsoleJobs", ""),
    ("getMemoryStat", ""),
    ("getSessionMemoryStat", ""),
    ("getCurrentSessionAndUser", ""),
    ("isNodeInitialized", "[nodeAlias]"),
    ("login", "userId, password, [enableEncryption]"),
    // Users and privileges (acl.rs).
    (
        "createUser",
        "userId, password, [groupIds], [isAdmin], [authMode]",
    ),
    ("deleteUser", "userId"),
    ("changePwd", "oldPwd, newPwd"),
    ("resetPwd", "userId, newPwd"),
    ("createGroup", "groupId, [userIds]"),
    ("deleteGroup", "groupId"),
    ("addGroupMember", "userIds, groupIds"),
    ("deleteGroupMember", "userIds, groupIds"),
    ("grant", "userId|groupId, accessType, [objs]"),
    ("deny", "userId|groupId, accessType, [objs]"),
    ("revoke", "userId|groupId, accessType, [objs]"),
    ("getUserAccess", "[userIds], [finalAccess]"),
    ("getGroupAccess", "groupIds"),
    ("getUserList", ""),
    ("getGroupList", ""),
    ("getUsersByGroupId", "groupId"),
    ("getGroupsByUserId", "userId"),
    ("logout", "[userId], [sessionOnly]"),
    ("share", "table, sharedName"),
    ("undef", "obj, [objType]"),
    // Statistics.
    ("zscore", "X"),
    ("mad", "X, [useMedian]"),
    ("bucket", "vector, dataRange, bucketNum, [includeOutbound]"),
    (
        "bucketCount",
        "vector, dataRange, bucketNum, [includeOutbound]",
    ),
    ("cutPoints", "X, binNum, [freq]"),
    ("digitize", "x, bins, [right]"),
    ("winsorize", "X, limit, [inclusive], [nanPolicy]"),
    ("winsorize!", "X, limit, [inclusive], [nanPolicy]"),
    ("hashBucket", "X, buckets"),
    ("randNormal", "mean, stdev, count"),
    ("randUniform", "lower, upper, count"),
    ("cdfNormal", "mean, stdev, X"),
    ("invNormal", "mean, stdev, X"),
    ("cdfStudent", "df, X"),
    ("invStudent", "df, X"),
    ("cdfChiSquare", "df, X"),
    ("invChiSquare", "df, X"),
    ("cdfF", "numeratorDF, denominatorDF, X"),
    ("invF", "numeratorDF, denominatorDF, X"),
    ("cdfExp", "mean, X"),
    ("invExp", "mean, X"),
    ("cdfUniform", "lower, upper, X"),
    ("invUniform", "lower, upper, X"),
    (
        "ewmMean",
        "X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust], [ignoreNA], [times]",
    ),
    (
        "ewmVar",
        "X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust], [ignoreNA], [bias]",
    ),
    (
        "ewmStd",
        "X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust], [ignoreNA], [bias]",
    ),
    (
        "ewmCov",
        "X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust], [ignoreNA], [other], \
         [bias]",
    ),
    (
        "ewmCorr",
        "X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust], [ignoreNA], [other], \
         [bias]",
    ),
    ("tTest", "X, [Y], [mu], [confLevel], [equalVar]"),
    ("zTest", "X, [Y], [mu], [sigmaX], [sigmaY], [confLevel]"),
    ("fTest", "X, Y, [ratio], [confLevel]"),
    ("ols", "Y, X, [intercept], [mode], [method], [usePinv]"),
    ("wls", "Y, X, W, [intercept], [mode], [method], [usePinv]"),
    ("residual", "Y, X, params, [intercept]"),
    // Strings.
    ("strlen", "X"),
    ("upper", "X"),
    ("lower", "X"),
    ("initcap", "X"),
    ("trim", "X"),
    ("ltrim", "X"),
    ("rtrim", "X"),
    ("substr", "str, offset, [length]"),
    ("substru", "str, offset, [length]"),
    ("left", "X, n"),
    ("right", "X, n"),
    ("charAt", "X, Y"),
    ("split", "str, [delimiter]"),
    ("concat", "X, Y"),
    ("strReplace", "str, pattern, replacement"),
    ("like", "X, pattern"),
    ("ilike", "X, pattern"),
    ("regexFind", "str, pattern, [offset]"),
    ("regexReplace", "str, pattern, replacement, [offset]"),
    ("regexCount", "str, pattern, [offset]"),
    ("lpad", "str, length, [pattern]"),
    ("rpad", "str, length, [pattern]"),
    ("startsWith", "X, str"),
    ("endsWith", "X, str"),
    ("strFind", "str, substr, [offset]"),
    ("repeat", "X, n"),
    ("isAlpha", "X"),
    ("isDigit", "X"),
    ("isAlNum", "X"),
    ("isSpace", "X"),
    ("isUpper", "X"),
    ("isLower", "X"),
    ("isTitle", "X"),
    ("format", "X, format"),
    ("convertEncode", "str, srcEncode, destEncode"),
    // Tables and dictionaries.
    ("keys", "obj"),
    ("values", "obj"),
    ("columnNames", "X"),
    ("rows", "X"),
    ("cols", "X"),
    ("rename!", "obj, Y, [Z]"),
    ("addColumn", "table, colNames, colTypes"),
    ("dropColumns!", "table, colNames"),
    ("reorderColumns!", "table, reorderedColNames"),
    ("replaceColumn!", "table, colName, newCol"),
    ("tableInsert", "table, args..."),
    (
        "upsert!",
        "obj, newData, [ignoreNull], [keyColNames], [sortColumns]",
    ),
    // Temporal.
    ("year", "X"),
    ("monthOfYear", "X"),
    ("quarterOfYear", "X"),
    ("dayOfMonth", "X"),
    ("dayOfYear", "X"),
    ("dayOfWeek", "X"),
    ("weekday", "X, [startFromSunday]"),
    ("weekOfYear", "X"),
    ("hour", "X"),
    ("hourOfDay", "X"),
    ("minuteOfHour", "X"),
    ("secondOfMinute", "X"),
    ("millisecond", "X"),
    ("microsecond", "X"),
    ("nanosecond", "X"),
    ("isLeapYear", "X"),
    ("daysInMonth", "X"),
    ("isMonthStart", "X"),
    ("isMonthEnd", "X"),
    ("monthBegin", "X, [offset], [n]"),
    ("monthEnd", "X, [offset], [n]"),
    ("quarterBegin", "X, [startingMonth], [offset], [n]"),
    ("quarterEnd", "X, [endingMonth], [offset], [n]"),
    ("yearBegin", "X, [startingMonth], [offset], [n]"),
    ("yearEnd", "X, [endingMonth], [offset], [n]"),
    ("weekBegin", "X, [weekday], [offset], [n]"),
    ("today", ""),
    ("now", "[nanoSecond]"),
    ("temporalAdd", "obj, duration, [unit]"),
    ("bar", "X, interval, [closed]"),
    (
        "dailyAlignedBar",
        "X, timeOffset, n, [timeEnd], [mergeSessionEnd]",
    ),
    ("temporalParse", "X, format"),
    ("datetimeParse", "X, format"),
    ("temporalFormat", "X, format"),
    ("datetimeFormat", "X, format"),
    // Vectors and other containers.
    ("size", "X"),
    ("cut", "X, size"),
    ("flatten", "X"),
    ("in", "X, Y"),
    ("find", "X, Y"),
    ("at", "X, [index]"),
    ("join", "X, Y"),
    ("append!", "obj, newData"),
    ("push!", "obj, newData"),
    ("head", "obj, [n]"),
    ("tail", "obj, [n]"),
    ("subarray", "X, range"),
    ("removeHead!", "obj, n"),
    ("removeTail!", "obj, n"),
    ("erase!", "obj, key"),
    ("clear!", "obj"),
    ("reshape", "obj, dim"),
    ("shuffle", "X"),
    ("union", "X, Y"),
    ("intersection", "X, Y"),
    ("difference", "X, Y"),
    ("isDuplicated", "X, [keep]"),
    ("binsrch", "X, Y"),
    ("asof", "X, Y"),
    ("groups", "X, [mode]"),
    ("hasNull", "obj"),
    ("countNanInf", "X, [includeNull]"),
    // Distributed databases (helper dfs): the same names as `builtins::dfs` binds.
    (
        "database",
        "directory, [partitionType], [partitionScheme], [locations], [engine], [atomic], \
         [chunkGranularity]",
    ),
    (
        "createPartitionedTable",
        "dbHandle, table, tableName, [partitionColumns], [compressMethods], [sortColumns], \
         [keepDuplicates], [sortKeyMappingFunction], [softDelete]",
    ),
    (
        "createTable",
        "dbHandle, table, tableName, [compressMethods], [sortColumns], [keepDuplicates], \
         [primaryKey], [sortKeyMappingFunction], [softDelete]",
    ),
    (
        "createDimensionTable",
        "dbHandle, table, tableName, [compressMethods], [sortColumns], [keepDuplicates], \
         [primaryKey], [sortKeyMappingFunction], [softDelete]",
    ),
    ("renameTable", "dbHandle, tableName, newTableName"),
    // Joins (helper sql's builtins::joins).
    (
        "ej",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "equiJoin",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "sej",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "lj",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "leftJoin",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "lsj",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "fj",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    (
        "fullJoin",
        "leftTable, rightTable, matchingCols, [rightMatchingCols], [leftFilter], [rightFilter]",
    ),
    ("cj", "leftTable, rightTable"),
    ("crossJoin", "leftTable, rightTable"),
    (
        "aj",
        "leftTable, rightTable, matchingCols, [rightMatchingCols]",
    ),
    (
        "wj",
        "leftTable, rightTable, window, aggs, matchingCols, [rightMatchingCols]",
    ),
    (
        "pwj",
        "leftTable, rightTable, window, aggs, matchingCols, [rightMatchingCols]",
    ),
    ("schema", "table"),
    // System, bytes and in-place updates.
    ("syntax", "X"),
    ("defs", "[X]"),
    ("objs", "[shared]"),
    ("getRequiredAPIVersion", ""),
    ("hex", "X, [reverse]"),
    ("crc32", "str, [cksum]"),
    ("md5", "X"),
    ("pop!", "X"),
    (
        "dictUpdate!",
        "dictionary, function, keys, parameters, [initFunc]",
    ),
];

/// One parsed signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Parameter names in order (the variadic tail excluded).
    pub params: Vec<&'static str>,
    /// How many leading parameters are required.
    pub required: usize,
    /// The parameters end with `args...` (or `[X2], ...`): more arguments may follow.
    pub variadic: bool,
    /// The text inside the parentheses, as `syntax` prints it.
    pub text: &'static str,
}

/// The documented parameters of built-in `name`.
pub fn signature(name: &str) -> Option<Signature> {
    let text = SIGNATURES.iter().find(|(n, _)| *n == name)?.1;
    Some(parse(text))
}

fn parse(text: &'static str) -> Signature {
    let mut params = Vec::new();
    let mut required = 0;
    let mut variadic = false;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.ends_with("...") {
            variadic = true;
            break;
        }
        let optional = part.starts_with('[');
        let name = part.trim_start_matches('[').trim_end_matches(']');
        let name = name.split('=').next().unwrap_or(name).trim();
        if !optional && required == params.len() {
            required += 1;
        }
        params.push(name);
    }
    Signature {
        params,
        required,
        variadic,
        text,
    }
}

/// What `syntax(f)` prints: `name(X, window, [minPeriods])`.
pub fn syntax(name: &str) -> Option<String> {
    signature(name).map(|s| format!("{}({})", name, s.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_required_optional_and_variadic_parameters() {
        let s = signature("mpercentile").unwrap();
        assert_eq!(
            s.params,
            ["X", "percent", "window", "interpolation", "minPeriods"]
        );
        assert_eq!(s.required, 3);
        assert!(!s.variadic);
        let each = signature("each").unwrap();
        assert_eq!(each.params, ["func"]);
        assert!(each.variadic);
        assert_eq!(signature("version").unwrap().params.len(), 0);
        assert_eq!(syntax("digitize").unwrap(), "digitize(x, bins, [right])");
    }

    #[test]
    fn every_signature_names_a_registered_builtin_once() {
        let mut seen = std::collections::HashSet::new();
        for (name, _) in SIGNATURES {
            assert!(seen.insert(*name), "{} is listed twice", name);
            assert!(
                super::super::lookup(name).is_some(),
                "{} is not a registered built-in",
                name
            );
        }
    }

    #[test]
    fn every_builtin_outside_dfs_streaming_and_joins_has_a_signature() {
        // Families other helpers own may add functions ahead of this table; they fall back to
        // keywords in call order and `X1, X2` in syntax().
        let exempt: Vec<&str> = super::super::dfs::functions()
            .into_iter()
            .chain(super::super::streaming::functions())
            .chain(super::super::joins::functions())
            .map(|b| b.name)
            .collect();
        let mut missing: Vec<&str> = super::super::registry()
            .keys()
            .copied()
            .filter(|n| !n.starts_with("__") && !exempt.contains(n))
            .filter(|n| signature(n).is_none())
            .collect();
        missing.sort_unstable();
        assert!(
            missing.is_empty(),
            "no signature for: {}",
            missing.join(" ")
        );
    }
}
